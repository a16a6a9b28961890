"""The one visual theme: colour roles, fonts and the Plotly templates built from them.

Colours are the Okabe–Ito palette (safe for the common colour-vision deficiencies), with the light hues
darkened where they missed WCAG contrast on white: text and muted text reach 4.5:1 and every chart mark
3:1 against its background, in both themes (tests/test_theme_contrast.py computes the ratios).
Charts never set their own colours or fonts; they take roles from here.
`.streamlit/config.toml` repeats the same primary colour, text colour and font.
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

# Quoted: an unquoted family name containing a digit ("Source Sans 3") makes the whole CSS
# font-family declaration invalid and browsers fall back to a serif font.
FONT = '"Source Sans 3", "Source Sans Pro", "Liberation Sans", "DejaVu Sans", Arial, sans-serif'

# Named roles: what a colour means, not what it looks like.
COLORS = {
    "primary": "#0072B2",  # partner countries, the main series
    "uk": "#A86500",  # the UK side of the partnership (Okabe–Ito orange #E69F00, darkened: 2.2 -> 4.6:1)
    "positive": "#009E73",
    "negative": "#D55E00",
    "accent": "#CC79A7",
    "sky": "#3590C9",  # Okabe–Ito sky blue #56B4E9, darkened: 2.3 -> 3.5:1 (still lighter than primary)
    "warning": "#857500",  # Okabe–Ito yellow #F0E442 as a dark olive gold: 1.3 -> 4.6:1
    "muted": "#6B6B6B",  # also the captions' text colour (was #8C8C8C, 3.4:1): 5.3:1
    "text": "#1B2631",
    "grid": "#E5E8EC",
    "background": "#FFFFFF",
    "surface": "#F2F5F8",  # the sidebar's and boxes' background (secondaryBackgroundColor)
    "no_data": "#F2F3F5",
}
_CATEGORICAL_ROLES = ("primary", "uk", "positive", "accent", "sky", "negative", "muted")
CATEGORICAL = [COLORS[k] for k in _CATEGORICAL_ROLES] + ["#000000"]
# Single-hue blue ramp: reads in greyscale and for every colour-vision type. It fills a choropleth's
# countries from low (lightest) to high (darkest). Its light end is deliberately not held to 3:1 against
# the background: a fill's lightness encodes a value relative to the other fills and the colour bar, not
# a shape one must find, and the same numbers are in the hover text and the chart's Table (WCAG 1.4.11
# asks contrast of graphics *required* to understand the content). The test holds the ramp to strictly
# decreasing luminance and its high-value half to 3:1.
SEQUENTIAL = ["#E8F1F8", "#B3D1E8", "#6FA8D3", "#2E7EBB", "#0B4F8A", "#08306B"]

# The projector theme: light marks on a dark background, each 3:1 against the background and the grid.
PROJECTOR = {
    "background": "#0B1A2B",
    "text": "#FFFFFF",
    "grid": "#2B3E52",
    "primary": "#56B4E9",
    "uk": "#F0B000",
    "positive": "#2BB58C",
    "negative": "#F07A3A",
    "accent": "#D98AB6",
    "sky": "#A6D8F5",
    "warning": "#F0E442",
    "muted": "#B0B0B0",
}
PROJECTOR_CATEGORICAL = [PROJECTOR[k] for k in _CATEGORICAL_ROLES] + ["#FFFFFF"]
# Light-theme colours that would be too dark on the projector background, and their replacements.
_PROJECTOR_SWAP = {COLORS[k]: PROJECTOR[k] for k in PROJECTOR if k in COLORS and k not in ("background", "grid")}
_PROJECTOR_SWAP |= dict(zip(CATEGORICAL, PROJECTOR_CATEGORICAL))

TEMPLATE = "impact"
PROJECTOR_TEMPLATE = "impact_projector"


def _layout(background: str, text: str, grid: str, colorway: list[str], size: int,
            colorscale: list[str] = SEQUENTIAL) -> go.Layout:
    axis = dict(
        gridcolor=grid, zerolinecolor=grid, linecolor=grid, ticks="", automargin=True,
        title=dict(font=dict(size=size)), tickfont=dict(size=size - 2), separatethousands=True,
    )
    return go.Layout(
        font=dict(family=FONT, size=size, color=text),
        title=dict(font=dict(size=round(size * 1.45), color=text), x=0.0, xanchor="left", pad=dict(l=4)),
        paper_bgcolor=background,
        plot_bgcolor=background,
        colorway=colorway,
        separators=".,",
        xaxis=axis,
        yaxis=axis,
        legend=dict(orientation="h", yanchor="top", y=-0.14, x=0, font=dict(size=size - 1)),
        hoverlabel=dict(font=dict(family=FONT, size=size)),
        margin=dict(l=16, r=16, t=64, b=16),
        geo=dict(
            bgcolor=background, showframe=False, showcoastlines=False, showcountries=True,
            countrycolor=grid if background != "#FFFFFF" else "#FFFFFF", showland=True,
            landcolor=COLORS["no_data"] if background == "#FFFFFF" else "#1E3148",
            projection=dict(type="natural earth"), lakecolor=background,
        ),
        coloraxis=dict(colorscale=colorscale, colorbar=dict(thickness=14, outlinewidth=0)),
    )


def translucent(hex_color: str, alpha: float) -> str:
    """A theme colour as a see-through fill: '#0072B2', 0.2 -> 'rgba(0, 114, 178, 0.2)'."""
    red, green, blue = (int(hex_color.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({red}, {green}, {blue}, {alpha:g})"


def register() -> None:
    """Register the light and projector templates and make the light one the default."""
    if TEMPLATE not in pio.templates:
        pio.templates[TEMPLATE] = go.layout.Template(
            layout=_layout(COLORS["background"], COLORS["text"], COLORS["grid"], CATEGORICAL, 16)
        )
        # On the dark background the ramp runs the other way: high values light, low values near the background.
        pio.templates[PROJECTOR_TEMPLATE] = go.layout.Template(
            layout=_layout(PROJECTOR["background"], PROJECTOR["text"], PROJECTOR["grid"], PROJECTOR_CATEGORICAL, 24,
                           SEQUENTIAL[::-1])
        )
    if pio.templates.default != TEMPLATE:  # setting it validates and copies the template: once, not every run
        pio.templates.default = TEMPLATE


def projector(fig: go.Figure) -> go.Figure:
    """Restyle a built figure for a projector: dark background, large type, brighter role colours."""
    register()
    fig.update_layout(template=PROJECTOR_TEMPLATE)
    for trace in fig.data:
        for path in ("marker.color", "line.color"):
            parent, _, attr = path.partition(".")
            holder = getattr(trace, parent, None)
            value = getattr(holder, attr, None) if holder is not None else None
            if isinstance(value, str) and value in _PROJECTOR_SWAP:
                trace.update({parent: {attr: _PROJECTOR_SWAP[value]}})
    return fig
