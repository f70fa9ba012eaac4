"""Training: the ``fit`` loop, ``evaluate``, callbacks, metrics and checkpoints.

``fit(model, optimizer, train_loader, epochs, val_loader=..., callbacks=[...])`` trains;
``evaluate(model, loader)`` measures; ``ModelCheckpoint`` + ``fit(..., resume=path)`` continue a
stopped run exactly. ``run.py`` assembles these into the complete runs the CLI starts.
"""

from . import checkpoint, metrics
from .callbacks import (Callback, CSVLogger, CurvePlot, EarlyStopping, JSONLinesLogger,
                        ModelCheckpoint, ProgressBar)
from .loop import FitState, evaluate, fit
from .metrics import RunningMetrics, accuracy, confusion_matrix
