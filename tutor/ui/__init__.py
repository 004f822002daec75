"""The Gradio web app: ``build_app(settings)`` in :mod:`tutor.ui.app`; one module per tab or concern."""
