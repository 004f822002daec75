"""Look and feel: a calm theme with readable contrast, and the few styles the sources panel needs."""

from __future__ import annotations

import gradio as gr


def make_theme() -> gr.themes.Base:
    """Soft, green and amber, in a font served by the app itself (no font CDN); primary buttons and links
    dark enough for AA contrast. Gradio's bundled IBM Plex SemiBold is a partial subset (letters fall back
    to another font), so only Regular and Bold are declared and semibold text uses Bold."""
    font = (gr.themes.LocalFont("IBM Plex Sans", weights=(400, 700)), "system-ui", "Segoe UI", "Roboto", "Arial", "sans-serif")
    return gr.themes.Soft(primary_hue="emerald", secondary_hue="amber", neutral_hue="slate", font=font).set(
        button_primary_background_fill="*primary_700",
        button_primary_background_fill_hover="*primary_800",
        button_primary_text_color="white",
        button_primary_background_fill_dark="*primary_600",
        link_text_color="*primary_800",
        link_text_color_visited="*primary_800",
        link_text_color_hover="*primary_900",
        link_text_color_dark="*primary_300",
        link_text_color_visited_dark="*primary_300",
    )


CSS = """
.gradio-container { max-width: 1280px !important; }
#mw-header h1 { font-size: 1.6rem; margin: 0; }
#mw-header p { margin: 0.15rem 0 0; color: var(--body-text-color-subdued); }
#mw-status { font-size: 0.95rem; }
#mw-status p { margin: 0; }
#mw-answer-note { font-size: 0.9rem; min-height: 1.2em; }
#mw-ask { align-self: end; min-height: 2.6rem; }
.mw-topic p { margin: 0.4rem 0 0.1rem; }
.mw-example, .mw-suggestion { text-align: left !important; justify-content: flex-start !important;
  white-space: normal !important; height: auto !important; }
.mw-sources h2 { font-size: 1.15rem; margin: 0 0 0.5rem; }
.mw-source-list { list-style: none; padding: 0; margin: 0; }
.mw-source { border: 1px solid var(--border-color-primary); border-radius: var(--radius-lg);
  padding: 0.75rem 0.9rem; margin: 0 0 0.75rem; background: var(--background-fill-secondary); }
.mw-source-head { font-weight: 600; line-height: 1.35; }
.mw-source-head a { color: var(--link-text-color); text-decoration: underline; }
.mw-n { color: var(--color-accent); margin-right: 0.2rem; }
.mw-meta { font-size: 0.85rem; color: var(--body-text-color-subdued); margin: 0.2rem 0 0.5rem; }
.mw-ocr { font-size: 0.85rem; margin: 0 0 0.5rem; padding: 0.2rem 0.4rem; border-left: 3px solid #b7791f; }
.mw-passage { margin: 0; padding: 0 0 0 0.75rem; border-left: 3px solid var(--color-accent-soft);
  font-size: 0.9rem; line-height: 1.55; white-space: pre-line; overflow-wrap: anywhere; }
.mw-passage mark { background: #fde68a; color: #1f2937; padding: 0 0.1em; border-radius: 2px; }
#mw-documents * { font-family: var(--font) !important; }
.mw-muted { color: var(--body-text-color-subdued); font-size: 0.9rem; }
.mw-visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
  white-space: nowrap; }
a:focus-visible, button:focus-visible, input:focus-visible, textarea:focus-visible, [tabindex]:focus-visible {
  outline: 3px solid #d97706 !important; outline-offset: 2px; }
@media (max-width: 700px) {
  .gradio-container { padding: 0 6px !important; }
  #mw-header h1 { font-size: 1.3rem; }
  #mw-sources-col { min-width: 100% !important; }
}
"""
