"""What students open in a browser: the course book (Jupyter Book build, its Sphinx
extension, the self-check widgets) and the JupyterLite practice site."""
