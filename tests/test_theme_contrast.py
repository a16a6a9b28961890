"""The theme's colours meet WCAG contrast: text 4.5:1, chart marks 3:1, in the app and projector themes.

Ratios are computed from the theme itself with WCAG 2.x relative luminance, so a colour changed in
impact/charts/theme.py is checked here without editing the test.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from impact.charts import theme

TEXT = 4.5  # WCAG 1.4.3, normal-size text
MARKS = 3.0  # WCAG 1.4.11, graphical objects

ROOT = Path(__file__).resolve().parents[1]


def luminance(hex_color: str) -> float:
    """WCAG relative luminance of '#RRGGBB'."""
    channels = [int(hex_color.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_contrast_formula_matches_known_ratios():
    assert contrast("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast("#767676", "#FFFFFF") == pytest.approx(4.54, abs=0.01)  # the classic AA grey
    assert contrast("#E69F00", "#FFFFFF") < MARKS  # Okabe–Ito orange, the reason for this test


@pytest.mark.parametrize("role", ["text", "muted"])
@pytest.mark.parametrize("background", ["background", "surface"])
def test_app_text_colours_reach_4_5(role, background):
    ratio = contrast(theme.COLORS[role], theme.COLORS[background])
    assert ratio >= TEXT, f"{role} {theme.COLORS[role]} on {background}: {ratio:.2f}:1"


@pytest.mark.parametrize("color", theme.CATEGORICAL)
def test_every_categorical_colour_is_a_visible_mark(color):
    ratio = contrast(color, theme.COLORS["background"])
    assert ratio >= MARKS, f"{color} on white: {ratio:.2f}:1"


@pytest.mark.parametrize("role", ["primary", "uk", "positive", "negative", "accent", "sky", "warning", "muted"])
def test_every_named_mark_role_reaches_3(role):
    ratio = contrast(theme.COLORS[role], theme.COLORS["background"])
    assert ratio >= MARKS, f"{role} {theme.COLORS[role]}: {ratio:.2f}:1"


def test_categorical_colours_stay_distinct():
    assert len(set(theme.CATEGORICAL)) == len(theme.CATEGORICAL)
    assert len(set(theme.PROJECTOR_CATEGORICAL)) == len(theme.PROJECTOR_CATEGORICAL)
    # Primary and sky are both blue: they must differ in lightness, which every colour-vision type sees.
    assert contrast(theme.COLORS["primary"], theme.COLORS["sky"]) >= 1.4


def test_sequential_ramp_is_ordered_and_its_high_half_is_visible():
    # The light end is exempt from 3:1 on purpose: see the comment on theme.SEQUENTIAL.
    lum = [luminance(c) for c in theme.SEQUENTIAL]
    assert lum == sorted(lum, reverse=True) and len(set(lum)) == len(lum), "the ramp must darken step by step"
    for color in theme.SEQUENTIAL[len(theme.SEQUENTIAL) // 2 :]:
        assert contrast(color, theme.COLORS["background"]) >= MARKS, color


def test_projector_text_and_marks_reach_their_thresholds():
    bg, grid = theme.PROJECTOR["background"], theme.PROJECTOR["grid"]
    assert contrast(theme.PROJECTOR["text"], bg) >= TEXT
    assert contrast(theme.PROJECTOR["text"], grid) >= TEXT  # the projector's buttons: text on the grid colour
    for role in ("primary", "uk", "positive", "negative", "accent", "sky", "warning", "muted"):
        assert contrast(theme.PROJECTOR[role], bg) >= MARKS, role
    for color in theme.PROJECTOR_CATEGORICAL:
        # Marks cross the grid lines: they stand out from both the background and the grid.
        assert contrast(color, bg) >= MARKS, f"{color} on the projector background"
        assert contrast(color, grid) >= MARKS, f"{color} on the projector grid"
    # The reversed ramp's high-value half, as drawn on a projector map.
    for color in theme.SEQUENTIAL[: len(theme.SEQUENTIAL) // 2]:
        assert contrast(color, bg) >= MARKS, color


def test_projector_template_uses_the_projector_palette():
    theme.register()
    layout = theme.pio.templates[theme.PROJECTOR_TEMPLATE].layout
    assert list(layout.colorway) == theme.PROJECTOR_CATEGORICAL
    light = theme.pio.templates[theme.TEMPLATE].layout
    assert list(light.colorway) == theme.CATEGORICAL


def test_streamlit_config_repeats_the_theme():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["theme"]
    assert config["primaryColor"].upper() == theme.COLORS["primary"]
    assert config["textColor"].upper() == theme.COLORS["text"]
    assert config["backgroundColor"].upper() == theme.COLORS["background"]
    assert config["secondaryBackgroundColor"].upper() == theme.COLORS["surface"]
