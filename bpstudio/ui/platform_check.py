"""Before the QApplication: can Qt open a window here? One line saying what is missing.

Without this, a missing X11 library or a missing display makes Qt abort (exit 134)
with its own hint, which names the wrong package as often as the right one. The
cheap check (well under a millisecond when all is fine) loads the xcb platform
plugin with dlopen, exactly as Qt will, and looks at the display variables. Only
when something is wrong does it pay for the probe: a tiny subprocess with
QT_DEBUG_PLUGINS=1 whose plugin-loader report names the library that really failed.
"""
from __future__ import annotations

import ctypes
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

# soname -> (Debian/Ubuntu package, Fedora package)
PACKAGES = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-xinput.so.0": ("libxcb-xinput0", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl"),
    "libGLX.so.0": ("libglx0", "libglvnd-glx"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libSM.so.6": ("libsm6", "libSM"),
    "libICE.so.6": ("libice6", "libICE"),
}
HEADLESS = "for pictures without a window use `bpstudio render FILE`, or set QT_QPA_PLATFORM=offscreen"
# "Cannot load library /…/libqxcb.so: (libxcb-cursor.so.0: cannot open shared object file: …)"
_CANNOT_LOAD = re.compile(r"Cannot load library (?P<plugin>\S+?libq\w+\.so):\s*\(?(?P<why>[^\n\"]*)")
_MISSING = re.compile(r"(?P<lib>[\w.+-]+\.so(?:\.\d+)*): cannot open shared object file")
_UNDEFINED = re.compile(r"undefined symbol: (?P<sym>\w+)")
SYMBOL_LIBS = (("xcb_cursor_", "libxcb-cursor.so.0"), ("xcb_icccm_", "libxcb-icccm.so.4"),
               ("xcb_key_symbols_", "libxcb-keysyms.so.1"), ("xcb_image_", "libxcb-image.so.0"),
               ("xcb_render_util_", "libxcb-render-util.so.0"), ("xkb_x11_", "libxkbcommon-x11.so.0"),
               ("xcb_randr_", "libxcb-randr.so.0"), ("xcb_shape_", "libxcb-shape.so.0"),
               ("xcb_xkb_", "libxcb-xkb.so.1"), ("xkb_", "libxkbcommon.so.0"))
_PROBE = "from PySide6.QtGui import QGuiApplication; QGuiApplication(['bpstudio-probe'])"


def platform_problem(env=None) -> str | None:
    """None when a window can probably open; else the one-line message (no prefix)."""
    env = os.environ if env is None else env
    if not sys.platform.startswith("linux") or env.get("QT_QPA_PLATFORM"):
        return None                         # the user chose a platform: let Qt try it
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        return ("cannot open a window: there is no display (neither DISPLAY nor "
                f"WAYLAND_DISPLAY is set); {HEADLESS}")
    if not env.get("DISPLAY"):
        return None                         # Wayland only: Qt picks its wayland plugin
    if not x_server_reachable(env["DISPLAY"]):
        return (f"cannot open a window: no X server answers on DISPLAY={env['DISPLAY']}; "
                f"{HEADLESS}")
    plugin = xcb_plugin()
    if plugin is None:
        return None
    try:
        ctypes.CDLL(str(plugin))            # what Qt's loader does; its dependencies too
    except OSError as exc:
        report = probe_report(env)
        return missing_library_message(report, str(exc))
    return None


def x_server_reachable(display: str) -> bool:
    """False only for a local display (':N') whose socket is missing and refuses a
    connection (file and abstract namespace); remote displays are left to Qt."""
    m = re.fullmatch(r"(?:unix)?:(\d+)(?:\.\d+)?", display.strip())
    if m is None:
        return True
    path = f"/tmp/.X11-unix/X{m[1]}"
    if os.path.exists(path):
        return True
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        try:
            s.connect("\0" + path)           # Linux abstract socket (Xwayland, some Xorg)
            return True
        except OSError:
            return False


def xcb_plugin() -> Path | None:
    try:
        import PySide6
    except ImportError:
        return None
    path = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    return path if path.exists() else None


def probe_report(env, timeout: float = 20.0) -> str:
    """The plugin loader's own report (stderr of a tiny QGuiApplication with
    QT_DEBUG_PLUGINS=1); '' if the probe could not run."""
    probe_env = {**env, "QT_DEBUG_PLUGINS": "1", "QT_QPA_PLATFORM": "xcb"}
    try:
        r = subprocess.run([sys.executable, "-c", _PROBE], env=probe_env, capture_output=True,
                           text=True, timeout=timeout, errors="replace")
    except (OSError, subprocess.SubprocessError):
        return ""
    return r.stderr


def missing_library_message(report: str, dlopen_error: str = "") -> str:
    """One line from a QT_DEBUG_PLUGINS report (or the dlopen error): the library that
    failed and the packages that provide it."""
    reasons = [m["why"] for m in _CANNOT_LOAD.finditer(report) if "xcb" in m["plugin"]]
    reasons.append(dlopen_error)
    for why in reasons:
        if miss := _MISSING.search(why):
            return f"cannot open a window: Qt's xcb platform plugin needs {miss['lib']}, " \
                   f"which is missing; {install_hint(miss['lib'])}; {HEADLESS}"
    for why in reasons:
        if (und := _UNDEFINED.search(why)) and (lib := _library_of(und["sym"])):
            return f"cannot open a window: Qt's xcb platform plugin needs a working {lib} " \
                   f"(the one found lacks {und['sym']}); {install_hint(lib)}; {HEADLESS}"
    why = " ".join(next((w for w in reasons if w.strip()), "unknown reason").split())[:200]
    return f"cannot open a window: Qt's xcb platform plugin does not load ({why}); {HEADLESS}"


def _library_of(symbol: str) -> str | None:
    return next((lib for prefix, lib in SYMBOL_LIBS if symbol.startswith(prefix)), None)


def install_hint(lib: str) -> str:
    pkgs = PACKAGES.get(lib)
    if pkgs is None:
        return f"find its package with `apt-file search {lib}` or `dnf provides '*/{lib}'`"
    deb, fedora = pkgs
    return f"install it with `sudo apt install {deb}` (Debian/Ubuntu) or " \
           f"`sudo dnf install {fedora}` (Fedora)"
