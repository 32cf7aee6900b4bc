"""Browser end-to-end tests: course notebooks run in a real JupyterLab in headless Chromium."""
