"""Where bundled resources live (the repository's resources/ folder)."""
from pathlib import Path

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
EXAMPLES = RESOURCES / "examples"
DEFAULT_EXAMPLE = EXAMPLES / "expression.json"
