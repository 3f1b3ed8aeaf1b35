"""bpstudio.model"""
