"""The machinery every exercise check shares: cases with ✓/✗ lines, and labs."""

from __future__ import annotations

from collections.abc import Callable


class CheckFailed(AssertionError):
    """At least one case of an exercise check failed."""


Case = tuple[str, Callable[[], object], Callable[[object], bool], str]


def run_cases(exercise: str, cases: list[Case]) -> None:
    """Run (description, call, accept, hint) cases; print ✓/✗ lines; raise on failure."""
    failed = 0
    for desc, call, accept, hint in cases:
        try:
            got = call()
        except NotImplementedError:
            raise
        except Exception as e:  # the student's code failed: report it as a failed case
            print(f"✗ {desc}: raised {type(e).__name__}: {e}\n    hint: {hint}")
            failed += 1
            continue
        if accept(got):
            print(f"✓ {desc}")
        else:
            print(f"✗ {desc}: got {got!r}\n    hint: {hint}")
            failed += 1
    if failed:
        raise CheckFailed(f"{exercise}: {failed} of {len(cases)} case(s) failed; see the "
                          "hints above")
    print(f"{exercise}: all {len(cases)} cases passed.")


def global_random_case(call: Callable[[], object], *, hint: str) -> Case:
    """The case "uses only the rng it is given": seed the global `random` module, run
    `call()`, and require that the global stream is where the seed left it (the student's
    code drew nothing from it). The caller's global state is restored afterwards."""
    import random

    def untouched() -> bool:
        saved = random.getstate()
        try:
            random.seed(12345)
            call()
            return random.random() == random.Random(12345).random()
        finally:
            random.setstate(saved)

    return ("uses only the rng it is given (the global random module untouched)", untouched,
            lambda got: got is True, hint)


def check_lab(exercise: str, *, prediction, answer, measured: float, tolerance: float,
              what: str = "the measured value") -> None:
    """A lab: the student wrote down `prediction` before running the experiment, then read
    `answer` off it; `measured` is the value the check computed itself. Passes when the
    answer is within `tolerance` of the measurement; the prediction is never graded, only
    compared, so that a wrong guess is a lesson and not a penalty."""
    if prediction is None:
        raise NotImplementedError(f"Exercise {exercise}: write down your prediction first "
                                  "(before you run the experiment)")
    if answer is None:
        raise NotImplementedError(f"Exercise {exercise}: give the number you measured")
    try:
        answer = float(answer)
    except (TypeError, ValueError):
        raise CheckFailed(f"{exercise}: the answer must be a number, got {answer!r}") from None
    off = abs(float(prediction) - measured)
    print(f"your prediction {float(prediction):.3g}, measured {measured:.3g} "
          f"({'close' if off <= 3 * tolerance else 'off by ' + format(off, '.3g')})")
    run_cases(f"Exercise {exercise}", [(
        f"your answer matches {what}", lambda: answer,
        lambda got: abs(got - measured) <= tolerance,
        f"expected {measured:.4g} (within {tolerance:g}); recompute it from the experiment")])
