"""Networking: bridges, veth endpoints, IPAM, embedded DNS, published ports (see service.py)."""
