"""Export and `bpstudio render`: PNG / SVG / DOT / GIF / frames, headless, and the
headless picture equal to what the window's canvas shows."""
from __future__ import annotations

import gc
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QRectF, QSize
from PySide6.QtGui import QImage

from bpstudio.cli.main import main
from bpstudio.model.document import Document
from bpstudio.ui.canvas import export, pass_export
from bpstudio.ui.canvas.graph_scene import GraphScene
from bpstudio.ui.canvas.graph_view import GraphView
from bpstudio.ui.canvas.theme import Theme

ROOT = Path(__file__).resolve().parents[1]
EXPRESSION = ROOT / "resources" / "examples" / "expression.json"
NEURON = ROOT / "resources" / "examples" / "neuron.json"


def render_cli(*args: str) -> subprocess.CompletedProcess:
    """`bpstudio render ...` in a fresh process with no display and no Qt platform set:
    the command has to choose the offscreen platform itself."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "bpstudio", "render", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=300)


def pixels(image: QImage) -> np.ndarray:
    rgb = image.convertToFormat(QImage.Format_RGB888)
    raw = np.frombuffer(bytes(rgb.constBits()), np.uint8).reshape(rgb.height(), rgb.bytesPerLine())
    return raw[:, :rgb.width() * 3].reshape(rgb.height(), rgb.width(), 3).astype(int)


# ---- the command, headless -------------------------------------------------------------------
@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """expression.json at step 12 (clamped to 7) in every format, each from a fresh process."""
    out = tmp_path_factory.mktemp("render")
    runs = {ext: render_cli(EXPRESSION, "-o", out / f"out.{ext}", "--step", 12)
            for ext in ("png", "svg", "dot", "gif")}
    return out, runs


@pytest.mark.parametrize("ext", ["png", "svg", "dot", "gif"])
def test_render_works_without_a_display(rendered, ext):
    out, runs = rendered
    res = runs[ext]
    assert res.returncode == 0, res.stderr
    assert (out / f"out.{ext}").stat().st_size > 100
    if ext != "gif":          # the GIF is the whole pass: --step does not apply
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and "step 12" in lines[0] and "step 7" in lines[0], res.stderr


def test_rendered_png_is_slide_sized(rendered):
    out, _ = rendered
    image = QImage(str(out / "out.png"))
    assert not image.isNull()
    assert 1000 <= image.width() <= 4000 and 300 <= image.height() <= 2000
    assert image.width() > image.height()               # a left-to-right graph


def test_rendered_svg_is_xml_with_the_card_texts(rendered):
    out, _ = rendered
    text = (out / "out.svg").read_text(encoding="utf-8")
    root = ET.fromstring(text)
    assert root.tag.endswith("svg")
    assert "\u22128.0" in text or "-8.0" in text         # L's data
    for label in (">a<", ">b<", ">L<", ">data<", ">grad<"):
        assert label in text


def test_rendered_dot_holds_the_numbers(rendered):
    out, _ = rendered
    dot = (out / "out.dot").read_text(encoding="utf-8")
    assert dot.startswith("digraph")
    assert 'label="{ L | data -8.0' in dot
    assert 'label="{ a | data 2.0 | grad 6.0 }"' in dot   # run to the end: a.grad = 6


def test_rendered_gif_has_one_frame_per_cursor(rendered):
    Image = pytest.importorskip("PIL.Image")
    out, _ = rendered
    doc = Document.open(EXPRESSION)
    with Image.open(out / "out.gif") as gif:
        assert gif.n_frames == doc.stepper.total + 1 == 8   # 3 forward + seed + 3 backward + start
        assert gif.info.get("loop") == 0
        durations = []
        for k in range(gif.n_frames):
            gif.seek(k)
            durations.append(gif.info["duration"])
    assert all(d >= 500 for d in durations) and durations[3] == pass_export.FRAME_MS


def test_render_frames_to_a_folder(tmp_path):
    res = render_cli(EXPRESSION, "--frames", tmp_path / "frames", "--scale", 1)
    assert res.returncode == 0, res.stderr
    names = sorted(p.name for p in (tmp_path / "frames").iterdir())
    assert names == [f"frame-{k}.png" for k in range(8)]


def test_headless_png_equals_the_windows_canvas(qtbot, tmp_path):
    """The PNG drawn with no window at step N is the canvas a W×H window shows at step N
    after View ▸ Fit, pixel for pixel (same scene, theme and zoom)."""
    w, h = 900, 520
    res = render_cli(NEURON, "-o", tmp_path / "n.png", "--step", 14 - 5, "--theme", "dark",
                     "--width", w, "--height", h)
    assert res.returncode == 0 and not res.stderr, res.stderr
    headless = QImage(str(tmp_path / "n.png"))
    assert headless.size() == QSize(w, h)

    doc = Document.open(NEURON)
    doc.run_to(9)
    scene = GraphScene(doc, Theme.dark())
    view = GraphView(scene)
    qtbot.addWidget(view)
    frame = view.frameWidth()
    view.resize(w + 2 * frame, h + 2 * frame)
    view.show()
    qtbot.waitExposed(view)
    view.fit()
    qtbot.waitUntil(lambda: view.viewport().size() == QSize(w, h))   # scroll bars gone
    window = view.viewport().grab().toImage()
    diff = np.abs(pixels(window) - pixels(headless)).max(axis=2)
    assert np.count_nonzero(diff > 24) == 0 and diff.mean() < 0.05, (diff.max(), diff.mean())


def test_render_bad_input_is_one_line_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "bpstudio.graph", "version": 1, "nodes": [', encoding="utf-8")
    cases = [[str(bad), "-o", str(tmp_path / "x.png")],
             [str(tmp_path / "missing.json"), "-o", str(tmp_path / "x.png")],
             [str(EXPRESSION), "-o", str(tmp_path / "x.jpg")],
             [str(EXPRESSION)],
             [str(EXPRESSION), "-o", str(tmp_path / "x.png"), "--width", "300"]]
    for args in cases:
        assert main(["render", *args]) == 2, args
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("bpstudio: "), (args, err)
    assert main(["render", str(bad), "-o", str(tmp_path / "x.png")]) == 2
    assert capsys.readouterr().err.startswith(f"bpstudio: {bad}:1:")
    assert not (tmp_path / "x.png").exists()


def test_render_to_an_unwritable_place_is_one_line(tmp_path, capsys):
    target = tmp_path / "no-such-folder" / "x.png"
    assert main(["render", str(EXPRESSION), "-o", str(target)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(target) in err[0]


# ---- the export functions, from the app's scene ---------------------------------------------
@pytest.fixture
def canvas(qtbot):
    doc = Document.open(EXPRESSION)
    doc.run_to(5)
    scene = GraphScene(doc)
    view = GraphView(scene)
    qtbot.addWidget(view)
    view.resize(700, 400)
    view.show()
    qtbot.waitExposed(view)
    return doc, scene, view


def test_current_view_export_equals_the_viewport(canvas):
    doc, scene, view = canvas
    view.set_zoom(1.3)
    view.centerOn(300, 40)
    image = export.render_image(scene, export.view_frame(view))
    window = view.viewport().grab().toImage()
    assert image.size() == window.size()
    diff = np.abs(pixels(window) - pixels(image)).max(axis=2)
    # Equal but for where two lit edges of equal z overlap (which one is on top).
    assert np.count_nonzero(diff > 24) < diff.size / 1000


def test_export_leaves_out_the_selection_and_keeps_it(canvas, qtbot, tmp_path):
    doc, scene, view = canvas
    plain = pixels(export.render_image(scene, export.whole_graph(scene)))
    seen = []
    scene.node_selected.connect(seen.append)
    scene.select_node("d")
    seen.clear()
    with_selection = pixels(export.render_image(scene, export.whole_graph(scene)))
    assert np.array_equal(plain, with_selection)
    assert scene.selected_node() == "d" and seen == []
    assert scene.view_scale() == view.scale_factor()


def test_png_scale_is_pixel_density(canvas, tmp_path):
    doc, scene, view = canvas
    one = QImage(str(export.export_png(scene, tmp_path / "one.png", scale=1.0)))
    two = QImage(str(export.export_png(scene, tmp_path / "two.png", scale=2.0)))
    rect = scene.sceneRect()
    assert abs(one.width() - rect.width()) <= 1 and abs(one.height() - rect.height()) <= 1
    assert abs(two.width() - 2 * one.width()) <= 1 and abs(two.height() - 2 * one.height()) <= 1


def test_svg_and_dot_from_the_app(canvas, tmp_path):
    doc, scene, view = canvas
    svg = export.export_svg(scene, tmp_path / "g.svg", title="expression")
    text = svg.read_text(encoding="utf-8")
    ET.fromstring(text)
    assert "<title>expression</title>" in text and ">\u22128.0<" in text
    dot = export.export_dot(doc, tmp_path / "g.dot").read_text(encoding="utf-8")
    assert 'label="{ L | data -8.0 | grad 1.0 }"' in dot


def test_whole_pass_exports_do_not_move_the_document(canvas, tmp_path):
    pytest.importorskip("PIL")
    doc, scene, view = canvas
    paths = pass_export.export_frames(doc, tmp_path / "frames", size=(400, 240))
    assert len(paths) == doc.stepper.total + 1 and all(p.exists() for p in paths)
    first = QImage(str(paths[0]))
    assert first.width() == 400 and first.height() > 240          # the caption band below
    pass_export.export_gif(doc, tmp_path / "pass.gif", Theme.projector(), size=(400, 240))
    assert (tmp_path / "pass.gif").stat().st_size > 1000
    assert doc.stepper.cursor == 5


def test_caption_names_the_step():
    doc = Document.open(EXPRESSION)
    assert pass_export.step_title(doc.stepper) == "step 0 / 7 · start"
    doc.run_to(1)
    assert pass_export.step_title(doc.stepper) == "step 1 / 7 · forward"
    assert pass_export.step_lines(doc.stepper)[0].startswith("e = a × b")
    doc.run_to_end()
    assert pass_export.step_title(doc.stepper) == "step 7 / 7 · done"


# ---- the whole pass in bounded memory (issue 9 item 6) ----------------------------------------
MOONS = ROOT / "resources" / "examples" / "moons-mlp.json"


def test_gif_stream_frames_decode_to_what_was_given(tmp_path):
    """Our GIF writer, read back by Pillow: every frame's colours exactly, whichever
    rectangle changed (including no change and a change in one corner)."""
    Image = pytest.importorskip("PIL.Image")
    from bpstudio.ui.canvas.gif_writer import CLEAR, GifStream
    rng = np.random.default_rng(3)
    palette = rng.integers(0, 256, 768, dtype=np.uint8)
    frame = rng.integers(0, CLEAR, (40, 60), dtype=np.uint8)
    frames = [frame]
    for y, x in ((5, 7), (30, 50), (0, 0)):
        frame = frame.copy()
        frame[y:y + 9, x:x + 9] = rng.integers(0, CLEAR, (9, 9)[:2], dtype=np.uint8)[
            :frame[y:y + 9, x:x + 9].shape[0], :frame[y:y + 9, x:x + 9].shape[1]]
        frames.append(frame)
    frames.append(frame.copy())                                   # nothing changed
    with open(tmp_path / "s.gif", "wb") as fp:
        gif = GifStream(fp, 60, 40, bytes(palette))
        for k, f in enumerate(frames):
            gif.add(f, 100 * (k + 1))
        gif.close()
    colours = palette.reshape(256, 3)
    with Image.open(tmp_path / "s.gif") as im:
        assert im.n_frames == len(frames) and im.info["loop"] == 0
        for k, f in enumerate(frames):
            im.seek(k)
            assert im.info["duration"] == 100 * (k + 1)
            assert np.array_equal(np.asarray(im.convert("RGB")), colours[f]), k


def test_gif_frames_are_the_png_frames(tmp_path):
    """Streamed, delta-coded GIF frames decode to the same pictures as the numbered
    PNGs of the same pass (up to the 255-colour palette)."""
    Image = pytest.importorskip("PIL.Image")
    doc = Document.open(EXPRESSION)
    gif = pass_export.export_gif(doc, tmp_path / "e.gif", scale=1.0)
    pngs = pass_export.export_frames(doc, tmp_path / "frames", scale=1.0)
    with Image.open(gif) as im:
        assert im.n_frames == len(pngs) == 8
        for k, png in enumerate(pngs):
            im.seek(k)
            got = np.asarray(im.convert("RGB")).astype(int)
            want = pixels(QImage(str(png)))
            assert got.shape == want.shape
            diff = np.abs(got - want).max(axis=2)
            assert np.count_nonzero(diff > 40) < diff.size / 500 and diff.mean() < 3, k


def test_stopped_gif_job_leaves_no_file_and_keeps_the_old_one(tmp_path):
    pytest.importorskip("PIL")
    doc = Document.open(EXPRESSION)
    fresh, old = tmp_path / "fresh.gif", tmp_path / "old.gif"
    old.write_bytes(b"the earlier export")
    for path in (fresh, old):
        job = pass_export.gif_job(doc, path)
        assert next(job) == (1, 8) and next(job) == (2, 8)
        job.close()
    assert not fresh.exists() and old.read_bytes() == b"the earlier export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.gif"]
    job = pass_export.frames_job(doc, tmp_path / "frames")
    next(job), next(job)
    job.close()
    assert list((tmp_path / "frames").iterdir()) == []


def test_big_graph_frames_are_bounded_and_follow_the_step(qapp):
    """moons-mlp (1,287 steps): every frame the same fixed size, cards at 100 %, the
    current step's card inside the frame at every step, and the camera moves only
    when that card would otherwise come near an edge of the last frame."""
    from bpstudio.ui.canvas.pass_camera import EDGE_ROOM, FOLLOW_SIZE, PassCamera
    doc = Document.open(MOONS)
    scene = GraphScene(doc)
    camera = PassCamera(scene, None, 2.0, frames=doc.stepper.total + 1)
    assert not camera.still
    last, pans = None, 0
    for k in range(doc.stepper.total + 1):
        doc.run_to(k)
        frame = camera.frame(doc.stepper)
        assert (frame.size.width(), frame.size.height()) == FOLLOW_SIZE and frame.zoom == 1.0
        assert frame.pixels.width() * frame.pixels.height() <= 2_000_000
        rec = doc.stepper.current
        nid = rec.node if rec else doc.stepper.node_at(0)
        card = scene.node_item(nid).sceneBoundingRect()
        assert frame.source.contains(card), k
        step = QRectF(card)                  # the card and its inputs', when they all fit
        for other in (rec.inputs if rec.kind == "forward" else [f.target for f in rec.flows]) \
                if rec else ():
            step = step.united(scene.node_item(other).sceneBoundingRect())
        if last is not None and frame.source != last:
            pans += 1
            m = (last.width() * EDGE_ROOM, last.height() * EDGE_ROOM)
            inner = last.adjusted(m[0], m[1], -m[0], -m[1])
            fits = step.width() <= inner.width() and step.height() <= inner.height()
            assert not inner.contains(step if fits else card), k
        last = frame.source
    assert pans > 10
    scene.deleteLater()


def test_small_graph_pass_keeps_the_whole_graph_still(qapp):
    from bpstudio.ui.canvas.pass_camera import PassCamera
    doc = Document.open(EXPRESSION)
    scene = GraphScene(doc)
    camera = PassCamera(scene, None, 2.0, frames=8)
    assert camera.still
    frame = camera.frame(doc.stepper)
    assert frame.zoom == 1.0 and frame.dpr == 2.0
    assert frame.source.topLeft() == scene.sceneRect().topLeft()
    assert frame.source.contains(scene.sceneRect())
    assert frame.source.width() - scene.sceneRect().width() < 1


def test_window_gif_export_shows_progress_and_cancel_leaves_nothing(qtbot, tmp_path):
    pytest.importorskip("PIL")
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QProgressDialog

    from bpstudio.ui.window import export_actions
    from bpstudio.ui.window.main_window import MainWindow
    doc = Document.open(MOONS)
    w = MainWindow(doc, settings=QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat))
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    seen = []

    def cancel_after_three_frames():
        dialog = w.findChild(QProgressDialog, "exportProgress")
        if dialog is not None and dialog.maximum() > 0 and not dialog.wasCanceled():
            seen.append((dialog.value(), dialog.maximum()))
            if dialog.value() >= 3:
                dialog.cancel()
    timer = QTimer(w)
    timer.timeout.connect(cancel_after_three_frames)
    timer.start(0)
    out = tmp_path / "out" / "pass.gif"
    out.parent.mkdir()
    assert export_actions.export_to(w, "gif", out) is None
    timer.stop()
    done, total = seen[-1]
    from bpstudio.model.diagram import boundaries
    stops = boundaries(w.doc.stepper.program, w.scene.groups().folded)   # one neuron a frame
    assert total == len(stops) < 100 and 3 <= done < total
    assert list(out.parent.iterdir()) == []
    assert "cancelled" in w.statusBar().currentMessage()
    assert w.findChild(QProgressDialog, "exportProgress") is None or \
        not w.findChild(QProgressDialog, "exportProgress").isVisible()
    w.close()
    w.deleteLater()
    qtbot.wait(0)
    gc.collect()                # a thousand-node scene: not left for the next test's GC


def test_neuron_diagram_pass_is_one_frame_per_neuron_step(qapp):
    """moons-mlp as the app (and `render`) open it, folded into its neurons: the pass
    stops where the window's Step stops (a neuron at a time), and the whole diagram is
    one still, readable frame."""
    from bpstudio.model.diagram import open_as_diagram
    from bpstudio.ui.canvas.pass_camera import WHOLE_MAX, readable_zoom
    doc = Document.open(MOONS)
    assert open_as_diagram(doc)
    pictures = pass_export.PassPictures(doc)
    stops, total = pictures.stops, doc.stepper.total
    assert stops[0] == 0 and stops[-1] == total == 1287
    assert all(a < b for a, b in zip(stops, stops[1:])) and len(stops) < 100
    assert pictures.camera.still
    frame = pictures.camera.frame(doc.stepper)
    assert frame.size.width() <= WHOLE_MAX[0] and frame.size.height() <= WHOLE_MAX[1]
    assert frame.zoom >= readable_zoom(pictures.scene)
    image = pictures.image(stops[5])
    assert image.width() == frame.pixels.width() and doc.stepper.cursor == 0


@pytest.mark.parametrize("name", ["net-2-2-2.json", "moons-mlp.json"])
def test_a_pass_frame_over_its_kept_edges_is_the_frame_drawn_whole(qtbot, name):
    """A whole-pass export draws a camera frame's edges once and paints each step over
    that picture: every frame equals the same frame painted from scratch (net-2-2-2:
    a still camera; moons: one that follows the step), and the picture is reused."""
    from PySide6.QtGui import QPainter

    from bpstudio.paths import EXAMPLES

    pictures = pass_export.PassPictures(Document.open(EXAMPLES / name), scale=2.0)
    stops = pictures.stops[:40]
    drawn = []
    original = pass_export.render_background

    def counting(scene, frame):
        drawn.append(frame)
        return original(scene, frame)

    pass_export.render_background = counting
    try:
        for k in stops:
            kept = pictures.image(k)
            frame = pictures.camera.frame(pictures.doc.stepper)
            whole = QImage(kept.size(), QImage.Format_RGB32)
            whole.setDevicePixelRatio(frame.dpr)
            whole.fill(pictures.scene.style().color["background"])
            painter = QPainter(whole)
            export.paint(pictures.scene, painter, frame)
            pictures._band.draw(painter, frame.size.height(), pictures.doc.stepper, None)
            painter.end()
            assert kept == whole, f"{name}: frame {k} differs"
    finally:
        pass_export.render_background = original
    assert len(drawn) < len(stops)
