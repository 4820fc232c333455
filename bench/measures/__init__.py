"""Every module here registers measures with bench.registry; `make bench` imports them all."""
