"""Plots (matplotlib, drawn off-screen with the Agg backend): training curves so far."""

from .curves import plot_history, plot_loss_curves
