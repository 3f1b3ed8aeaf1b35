"""The canvas: the graph scene, its view, node/edge/group items, their painting, themes and the picture export."""
