"""Securing mechanisms: Data Integrity cryptosuites and VC-JWT."""
