"""The Gradio side of the app: event handlers and the page's own components (app.py lays them out)."""
