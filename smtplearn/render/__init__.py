"""Views of protocol objects: text and HTML. Renderers read, never change state."""
