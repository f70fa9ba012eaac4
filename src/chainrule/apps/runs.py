"""A trained classifier back from the run folder that ``chainrule train`` wrote: what
``chainrule eval`` measures and ``chainrule viz`` draws.

The folder's ``config.json`` names the model, its variant and the data set; the model is
rebuilt from the registry (``models.build``) and given the weights of a checkpoint. The test
split comes with it, as the model sees it (normalised).
"""

import dataclasses
import os
from dataclasses import dataclass

from .. import data, models
from ..backend import to_device
from ..train import checkpoint
from . import classify

__all__ = ["TrainedRun", "load_run", "evaluate_run"]


@dataclass
class TrainedRun:
    """A rebuilt model in eval mode, its ``RunConfig`` (device and data root as loaded), and the
    test set as NumPy arrays: ``images`` (N, C, H, W) normalised as in training and ``labels``
    (N,) of ``num_classes``."""

    model: object
    config: object
    images: object
    labels: object
    num_classes: int
    directory: str


def load_run(run_dir, which="last", data_dir=None, device=None):
    """The model of run folder ``run_dir`` with the weights of checkpoint ``which`` (``last`` or
    ``best``), on ``device`` (None: the run's). ``data_dir`` overrides the run's data root."""
    config = classify.read_config(run_dir)
    config = dataclasses.replace(
        config, device=device or config.device, data_dir=data_dir or config.data_dir
    )
    path = os.path.join(run_dir, "checkpoints", f"{which}.ckpt")
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"{run_dir} has no '{which}' checkpoint (looked for {path}); "
            "was it written by `chainrule train`?"
        )
    splits = classify.load_splits(dataclasses.replace(config, distort=False))
    model = models.build(config.model, splits.input_shape, splits.num_classes, config.variant)
    model.to(config.device)
    model.load_state_dict(checkpoint.load(path)["model"])
    model.eval()
    images, labels = (to_device(array, "cpu") for array in splits.test.arrays)
    return TrainedRun(
        model=model,
        config=config,
        images=images,
        labels=labels,
        num_classes=splits.num_classes,
        directory=str(run_dir),
    )


def evaluate_run(trained):
    """Test loss, accuracy and confusion matrix of a ``TrainedRun`` (``test_*``), measured on
    the run's device."""
    test_set = data.TensorDataset(trained.images, trained.labels)
    return classify.evaluate_test_set(trained.model, test_set, trained.config)
