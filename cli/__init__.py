"""The ``omc`` command line (installed as ``omc_vc.cli``): thin click commands over the library."""
