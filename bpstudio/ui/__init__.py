"""bpstudio.ui"""
