"""The course book: Jupyter Book build, its Sphinx extension and the self-check widgets."""
