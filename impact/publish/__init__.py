"""The public site: `python -m impact publish` bakes each programme's active version into static pages.

Every number comes through the existing named queries and chart builders; every chart gets a permalink page, an
embed page, an oEmbed file, its CSV, its metadata and a pre-rendered SVG. Small cells are suppressed as the
programme's definition says (`publish.suppress_below`), and only the project fields it marks public are shown.
"""
