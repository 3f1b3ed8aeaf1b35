"""bpstudio.io"""
