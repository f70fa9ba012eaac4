"""``chainrule.utils.data``: the data-loading names at the place torch code imports them from
(``from torch.utils.data import DataLoader``). They are ``chainrule.data``'s own."""

from ..data import (
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)

__all__ = ["DataLoader", "Dataset", "Subset", "TensorDataset", "default_collate", "random_split"]
