"""What a person sees: the HTML report, plots of runs and sweeps, and the model diagram."""
