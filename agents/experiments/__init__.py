"""The experiment machinery: run loop, recorder, store, sweeps, reports, plots, Ray."""
