"""Docked panels beside the canvas: the inspector, the step list with its chain-rule text, breakpoints and watches."""
