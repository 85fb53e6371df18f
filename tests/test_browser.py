"""The lessons' widgets in a real browser, used as a student uses them.

JupyterLab is started on 127.0.0.1 (with the course's settings, `nas-lessons lab`'s
environment) on a copy of the lessons; headless Chromium at 1,366 × 768 opens a lesson, runs
the cells the widget needs (`notebook_slice.needed_cells`) and then acts: changes an edge of
the cell builder (lesson 02), moves the latency slider and switches the latency source of the
constraint explorer (lesson 06), moves the latency target and switches the device of the
Once-for-All deployer (lesson 07). Each action must change what the student sees — the text
and the drawing — within seconds, with nothing in the browser's console or JupyterLab's log
console, and the widget must fit the screen (no horizontal scrollbar, no cut labels, the
drawing not squeezed). `test_a_broken_callback_is_caught` shows that these checks fail when a
widget's callback is broken. Skipped, with the reason, where Chromium cannot be used.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from notebook_slice import needed_cells

from nas_lessons.cli import inject_parameters, lab_environment
from nas_lessons.utils import free_port

ROOT = Path(__file__).resolve().parents[1]

#: lesson -> (notebook, text that identifies the widget's cell, parameters for a quick run,
#: cells to add after the widget's cell)
LESSONS = {
    "02": ("02_search_spaces.ipynb", "CellBuilder(", {}, []),
    "06": ("06_hardware_aware_nas.ipynb", "explorer = ConstraintExplorer(", {}, [
        # the same cells on two devices whose latency ranges do not overlap
        "far = ConstraintExplorer(archs, acc, {'this machine': lat, 'a slower device': "
        "lat + 2 * np.nanmax(lat)}, params, flops)\nfar"]),
    "07": ("07_once_for_all.ipynb", "OFADeployer(", {"N_SUBNETS": 16, "TARGETS": (0.6,)}, []),
}

WAIT_FOR_KERNEL = """
const done = arguments[arguments.length - 1];
(async () => {
  for (let k = 0; k < 1200; k++) {
    const app = window.jupyterapp;
    const panel = app && app.shell.currentWidget;
    if (panel && panel.sessionContext && panel.content) {
      await panel.context.ready;
      await panel.sessionContext.ready;
      const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
      if (kernel) { done(panel.content.widgets.length); return; }
    }
    await new Promise(r => setTimeout(r, 100));
  }
  done(-1);
})();
"""

RUN_CELL = """
const [i, done] = [arguments[0], arguments[arguments.length - 1]];
const app = window.jupyterapp, panel = app.shell.currentWidget;
panel.content.activeCellIndex = i;
app.commands.execute('notebook:run-cell').then(() => {
  const outs = panel.content.widgets[i].model.outputs.toJSON();
  done(outs.filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue));
}, e => done(['could not run the cell: ' + e]));
"""

SHOW_OUTPUT = """
const [i, done] = [arguments[0], arguments[arguments.length - 1]];
const notebook = window.jupyterapp.shell.currentWidget.content, cell = notebook.widgets[i];
notebook.activeCellIndex = i;
(async () => {
  await notebook.scrollToItem(i, 'start');
  for (let k = 0; k < 100; k++) {  // a cell scrolled into view is attached and rendered
    const out = cell.node.isConnected && cell.node.querySelector('.jp-OutputArea-output');
    if (out) { setTimeout(() => done(cell.node.querySelector('.jp-OutputArea')), 300); return; }
    await new Promise(r => setTimeout(r, 100));
  }
  done(null);
})();
"""

KERNEL = """
const [code, done] = [arguments[0], arguments[arguments.length - 1]];
const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
let text = '';
const future = kernel.requestExecute({code});
future.onIOPub = msg => {
  const c = msg.content;
  if (c.data && c.data['text/plain']) text += c.data['text/plain'];
  if (c.text) text += c.text;
  if (c.ename) text += 'ERROR ' + c.ename + ': ' + c.evalue;
};
future.done.then(() => done(text));
"""


@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory):
    """JupyterLab on 127.0.0.1 over a copy of the lessons, as a new user sees it (empty
    settings and workspaces, the course's Jupyter configuration)."""
    base = tmp_path_factory.mktemp("jupyterlab")
    notebooks = base / "notebooks"
    notebooks.mkdir()
    for name, _, params, _ in LESSONS.values():
        nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
        if params:
            inject_parameters(nb, params)
        nbformat.write(nb, notebooks / name)
    port, token = free_port(), secrets.token_hex(16)
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
           f"--port={port}", "--port-retries=0", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={notebooks}", "--LabApp.expose_app_in_browser=True",
           f"--LabApp.user_settings_dir={base / 'settings'}",
           f"--LabApp.workspaces_dir={base / 'workspaces'}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = (base / "jupyterlab.log").open("w")
    env = lab_environment()
    env.pop("MPLBACKEND", None)  # the tests' Agg would keep plt.show() from drawing
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                pytest.fail("JupyterLab did not start: "
                            + (base / "jupyterlab.log").read_text()[-2000:])
            time.sleep(0.3)
    yield {"url": url, "token": token, "browser": browser}
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


class Lesson:
    """A lesson open in JupyterLab, its widget's cell run after the cells it needs."""

    def __init__(self, lab: dict, key: str) -> None:
        from selenium.webdriver.common.by import By

        self.By = By
        self.driver = lab["browser"]
        name, marker, params, extra = LESSONS[key]
        self.driver.get(f"{lab['url']}/lab/tree/{name}?token={lab['token']}&reset")
        n = self.driver.execute_async_script(WAIT_FOR_KERNEL)
        self.driver.get_log("browser")  # what leaving the previous page logged is not ours
        assert n > 0, "the notebook did not open with a kernel"
        sources = self.driver.execute_script(
            "return window.jupyterapp.shell.currentWidget.content.widgets"
            ".map(w => w.model.type === 'code' ? w.model.sharedModel.getSource() : '')")
        self.widget_cell = next(i for i, s in enumerate(sources) if marker in s)
        for i in needed_cells(sources, self.widget_cell):
            errors = self.driver.execute_async_script(RUN_CELL, i)
            assert not errors, f"cell {i} of {name} failed: {errors}"
        self.extra_cells = []
        for code in extra:  # appended at the end and run there
            self.driver.execute_script(
                "const p = window.jupyterapp.shell.currentWidget;"
                "p.content.model.sharedModel.insertCell(p.content.widgets.length, "
                "{cell_type: 'code', source: arguments[0]});", code)
            i = len(sources) + len(self.extra_cells)
            errors = self.driver.execute_async_script(RUN_CELL, i)
            assert not errors, f"the added cell failed: {errors}"
            self.extra_cells.append(i)

    def output(self, cell: int | None = None):
        """The output area of `cell` (default: the widget's), scrolled into view."""
        cell = self.widget_cell if cell is None else cell
        node = self.driver.execute_async_script(SHOW_OUTPUT, cell)
        assert node is not None, f"cell {cell}'s output did not appear"
        return node

    def kernel(self, code: str) -> str:
        """Run `code` in the lesson's kernel (not in a cell) and return what it printed."""
        return self.driver.execute_async_script(KERNEL, code)

    def seen(self, out) -> tuple[str, tuple[str, ...]]:
        """What the student sees in an output: its text, and the images (their sources)."""
        imgs = tuple(i.get_attribute("src")[-200:]
                     for i in out.find_elements(self.By.TAG_NAME, "img"))
        return out.text, imgs

    def after(self, out, action, *, timeout: float = 20.0) -> tuple[bool, bool]:
        """Do `action`; return (the text changed, the drawing changed) once both have or
        `timeout` seconds have passed."""
        text, imgs = self.seen(out)
        action()
        deadline = time.time() + timeout
        while time.time() < deadline:
            new_text, new_imgs = self.seen(out)
            if new_text != text and new_imgs != imgs and new_imgs:
                return True, True
            time.sleep(0.2)
        new_text, new_imgs = self.seen(out)
        return new_text != text, new_imgs != imgs

    def errors(self) -> list[str]:
        """Errors the student would see: the browser console's, JupyterLab's log console
        entries (a widget callback's traceback lands there), and error or stderr outputs
        inside the widget's cell."""
        found = [e["message"] for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]
        title = self.driver.execute_script(
            "const s = document.querySelector('.jp-LogConsoleStatusItem [title]');"
            "return s ? s.getAttribute('title') : '';")
        entries = re.search(r"(\d+) log entr", title or "")
        if entries and int(entries.group(1)) > 0:
            self.driver.execute_script("window.jupyterapp.commands.execute('logconsole:open')")
            time.sleep(2)
            log = self.driver.execute_script(
                "return [...document.querySelectorAll('.jp-LogConsolePanel .jp-OutputArea-output')]"
                ".map(e => e.getAttribute('data-mime-type') + ': ' + e.innerText).join(' | ');")
            found.append(f"JupyterLab's log console: {title}: {log[-1500:]}")
        found += [e.text[:300] for e in self.output().find_elements(
            self.By.CSS_SELECTOR, "[data-mime-type='application/vnd.jupyter.stderr']")]
        return found

    def layout_problems(self, out) -> list[str]:
        """Ways the widget does not fit a 1,366-px screen: horizontal scrolling, a label cut
        short, a picture squeezed or stretched by more than 10% of its own width."""
        return self.driver.execute_script("""
            const out = arguments[0], problems = [];
            const boxes = out.querySelectorAll('.jp-OutputArea-output, .widget-box');
            for (const el of [out, ...boxes])
              if (el.scrollWidth > el.clientWidth + 1)
                problems.push(`scrolls: ${el.className} ${el.scrollWidth} > ${el.clientWidth}`);
            for (const el of out.querySelectorAll('.widget-label, .widget-readout'))
              if (el.scrollWidth > el.clientWidth + 1)
                problems.push('label cut: "' + el.textContent + '"');
            for (const img of out.querySelectorAll('img')) {
              const [shown, own] = [img.clientWidth, img.naturalWidth];
              if (own && Math.abs(shown - own) > 0.1 * own)
                problems.push(`picture shown at ${shown} of its ${own} px`);
            }
            return problems;""", out)


def _select(lesson: Lesson, out, label: str, value: str):
    """The action of picking `value` in the dropdown labelled `label`."""
    from selenium.webdriver.support.ui import Select

    boxes = [b for b in out.find_elements(lesson.By.CSS_SELECTOR, ".widget-dropdown")
             if b.find_element(lesson.By.CSS_SELECTOR, ".widget-label").text == label]
    assert boxes, f"no dropdown labelled {label!r}"
    return lambda: Select(boxes[0].find_element(lesson.By.TAG_NAME, "select")
                          ).select_by_visible_text(value)


def _slider(lesson: Lesson, out, label: str):
    """(the slider labelled `label`'s handle, its track's width in pixels)."""
    boxes = [b for b in out.find_elements(lesson.By.CSS_SELECTOR, ".widget-slider")
             if b.find_element(lesson.By.CSS_SELECTOR, ".widget-label").text == label]
    assert boxes, f"no slider labelled {label!r}"
    handle = boxes[0].find_element(lesson.By.CSS_SELECTOR, ".noUi-handle")
    track = boxes[0].find_element(lesson.By.CSS_SELECTOR, ".noUi-target")
    return handle, track.size["width"]


def _drag(lesson: Lesson, handle, dx: int):
    from selenium.webdriver.common.action_chains import ActionChains

    return lambda: ActionChains(lesson.driver).drag_and_drop_by_offset(handle, dx, 0).perform()


def _range(lesson: Lesson, out, label: str) -> tuple[float, float]:
    """The range the browser shows for the slider labelled `label` (found afresh: a
    redrawn widget replaces its elements)."""
    handle, _ = _slider(lesson, out, label)
    return (float(handle.get_attribute("aria-valuemin")),
            float(handle.get_attribute("aria-valuemax")))


def test_no_news_question_for_a_new_user(lab):
    """JupyterLab's first-launch question about fetching news is answered by the course's
    configuration, so no pop-up covers the lesson."""
    lab["browser"].get(f"{lab['url']}/lab?token={lab['token']}")
    lab["browser"].execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "(async () => { while (!window.jupyterapp) await new Promise(r => setTimeout(r, 100));"
        "await window.jupyterapp.restored; setTimeout(() => done(0), 3000); })();")
    toasts = lab["browser"].find_elements("css selector", ".Toastify__toast")
    texts = [t.text for t in toasts]
    assert not any("news" in t.lower() for t in texts), texts


def test_cell_builder_redraws_when_an_edge_changes(lab):
    lesson = Lesson(lab, "02")
    out = lesson.output()
    assert lesson.layout_problems(out) == []
    before = int(lesson.kernel("print(builder.summary['params'])"))
    changed = lesson.after(out, _select(lesson, out, "edge 0→1", "skip_connect"))
    assert changed == (True, True), f"text changed, drawing changed: {changed}"
    after = int(lesson.kernel("print(builder.summary['params'])"))
    assert after < before  # a convolution replaced by a skip has no weights
    assert f"params: {after:,}" in out.text
    assert lesson.layout_problems(out) == []
    assert lesson.errors() == []


def test_a_broken_callback_is_caught(lab):
    """The same student action with the builder's callback broken: nothing changes and the
    error shows in JupyterLab's log console, so the test above would fail."""
    lesson = Lesson(lab, "02")
    out = lesson.output()
    lesson.kernel("builder.update = lambda: 1 / 0")
    changed = lesson.after(out, _select(lesson, out, "edge 0→1", "avg_pool_3x3"), timeout=6)
    assert changed == (False, False)
    assert any("log console" in e for e in lesson.errors())


def test_constraint_explorer_follows_the_slider_and_the_latency_source(lab):
    lesson = Lesson(lab, "06")
    out = lesson.output()
    assert lesson.layout_problems(out) == []
    feasible = lambda: int(lesson.kernel("print(int(explorer.result['feasible'].sum()))"))  # noqa: E731
    best = lambda: lesson.kernel("print(explorer.best_arch)").strip()  # noqa: E731
    n0, b0 = feasible(), best()
    handle, width = _slider(lesson, out, "max latency (ms)")
    changed = lesson.after(out, _drag(lesson, handle, -int(0.9 * width)))
    assert changed == (True, True), f"text changed, drawing changed: {changed}"
    limit, best_ms = map(float, lesson.kernel(
        f"print(explorer.latency.value, lat[archs.index(space.to_arch('{b0}'))])").split())
    assert limit < best_ms  # the old best is now too slow: a new best, fewer feasible cells
    assert feasible() < n0 and best() != b0
    # the other latency source: the slider takes that source's range
    old = _range(lesson, out, "max latency (ms)")
    changed = lesson.after(out, _select(lesson, out, "latency source", "this machine (LUT)"))
    assert changed[0], "switching the latency source changed nothing"
    follows = lesson.kernel("print((explorer.latency.min, explorer.latency.max) == "
                            "(float(np.nanmin(mine_pred)), float(np.nanmax(mine_pred))))")
    assert follows.strip() == "True"
    new = _range(lesson, out, "max latency (ms)")
    assert new != old
    assert lesson.layout_problems(out) == []
    assert lesson.errors() == []


def test_constraint_explorer_between_sources_that_do_not_overlap(lab):
    """Switching to a source whose latencies all lie above the current range: the slider
    moves to the new range and still filters."""
    lesson = Lesson(lab, "06")
    out = lesson.output(lesson.extra_cells[0])
    changed = lesson.after(out, _select(lesson, out, "latency source", "a slower device"))
    assert changed[0]
    assert lesson.errors() == []
    lo, _ = _range(lesson, out, "max latency (ms)")
    assert lo > float(lesson.kernel("print(float(np.nanmax(lat)))"))
    n0 = int(lesson.kernel("print(int(far.result['feasible'].sum()))"))
    handle, width = _slider(lesson, out, "max latency (ms)")
    changed = lesson.after(out, _drag(lesson, handle, -int(0.6 * width)))
    assert changed == (True, True)
    assert int(lesson.kernel("print(int(far.result['feasible'].sum()))")) < n0
    assert lesson.errors() == []


def test_ofa_deployer_follows_the_target_and_the_device(lab):
    lesson = Lesson(lab, "07")
    out = lesson.output()
    assert lesson.layout_problems(out) == []
    handle, width = _slider(lesson, out, "target (ms)")
    t0 = float(lesson.kernel("print(deployer.result['target'])"))
    changed = lesson.after(out, _drag(lesson, handle, int(0.3 * width)))
    assert changed == (True, True), f"text changed, drawing changed: {changed}"
    r = lesson.kernel("print(deployer.result['target'], deployer.result['predicted_ms'])")
    target, predicted = map(float, r.split())
    assert target > t0 and predicted <= target  # the search respects the new target
    old = _range(lesson, out, "target (ms)")
    changed = lesson.after(out, _select(lesson, out, "device", "batch 64"))
    assert changed == (True, True)
    assert _range(lesson, out, "target (ms)") != old
    assert "batch 64" in out.text
    assert lesson.layout_problems(out) == []
    assert lesson.errors() == []
