"""Fixtures shared by the tests: the repository root, MNIST-1D, a fresh interpreter, a
throwaway PostgreSQL server, and a headless Chromium for the real-browser tests (the lessons'
widgets in JupyterLab, the course site). A test that uses the browser and fails leaves a
screenshot in `browser-screenshots/` (or `$NAS_LESSONS_SCREENSHOTS`)."""

import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Every test starts on one PyTorch thread (the course's setting), whatever an earlier
    test in the same worker process set: results then do not depend on the test order."""
    import torch

    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def mnist1d():
    from nas_lessons.data import load_dataset

    return load_dataset("mnist1d")


@pytest.fixture(scope="session")
def run_python():
    """Run Python code in a fresh interpreter and return its stdout (raises on failure)."""
    import subprocess

    def run(code: str, cwd: Path = ROOT) -> str:
        res = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True,
                             text=True, timeout=600)
        if res.returncode != 0:
            raise AssertionError(res.stderr)
        return res.stdout

    return run


from hypothesis import settings as _hyp_settings  # noqa: E402

# Some properties build cached tables on first use; wall-clock deadlines would flake on a
# loaded 2-core machine.
_hyp_settings.register_profile("course", deadline=None)
_hyp_settings.load_profile("course")


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL server for the session (`nas_lessons.postgres.LocalPostgres`):
    `.url`, `.restart()`. Skipped where the server or the psycopg driver is missing."""
    from nas_lessons.postgres import LocalPostgres, postgres_bindir

    pytest.importorskip("psycopg", reason="the PostgreSQL driver is an optional extra: "
                                          "pip install -e '.[cluster]'")
    if postgres_bindir() is None:
        pytest.skip("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    try:
        server = LocalPostgres().__enter__()
    except RuntimeError as e:
        pytest.skip(f"no local PostgreSQL server: {e}")
    try:
        yield server
    finally:
        server.__exit__()


@pytest.fixture(scope="session")
def postgres_url(postgres) -> str:
    """The URL of the throwaway PostgreSQL server's empty database."""
    return postgres.url


#: a laptop screen: lessons and widgets must fit it without horizontal scrolling
WINDOW = (1366, 768)


def _chromium() -> tuple[str, str] | str:
    """(browser, driver) paths, or the reason they cannot be used."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[site]')"
    browser = next((p for p in map(shutil.which, ("chromium", "chromium-browser",
                                                  "google-chrome")) if p), None)
    driver = shutil.which("chromedriver")
    if not browser or not driver:
        return ("Chromium and its driver are not installed "
                "(Debian: apt-get install chromium chromium-driver)")
    return browser, driver


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium at 1,366 × 768, logging the page's console."""
    found = _chromium()
    if isinstance(found, str):
        pytest.skip(found)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = found[0]
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                f"--window-size={WINDOW[0]},{WINDOW[1]}", "--disable-gpu"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(found[1]), options=options)
    driver.set_script_timeout(180)
    yield driver
    driver.quit()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    driver = item.funcargs.get("browser") if hasattr(item, "funcargs") else None
    if report.failed and driver is not None:
        folder = Path(os.environ.get("NAS_LESSONS_SCREENSHOTS", "browser-screenshots"))
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{item.name}-{report.when}.png"
        try:
            driver.save_screenshot(str(path))
            report.sections.append(("screenshot", str(path.resolve())))
        except Exception as e:  # the browser itself may be what failed
            report.sections.append(("screenshot", f"none: {e}"))
