"""Training, whatever the model: the ``fit`` loop, ``evaluate``, callbacks, metrics and
checkpoints.

``fit(model, optimizer, train_loader, epochs, val_loader=..., callbacks=[...])`` trains;
``evaluate(model, loader)`` measures; ``ModelCheckpoint`` + ``fit(..., resume=path)`` continue a
stopped run exactly. ``chainrule.apps`` assembles these into the complete runs that
``chainrule train`` starts.
"""

from . import checkpoint, metrics
from .callbacks import (
    Callback,
    CSVLogger,
    CurvePlot,
    EarlyStopping,
    EpochSummary,
    JSONLinesLogger,
    ModelCheckpoint,
    ProgressBar,
)
from .loop import FitState, evaluate, fit
from .metrics import RunningMetrics, accuracy, bleu, confusion_matrix
