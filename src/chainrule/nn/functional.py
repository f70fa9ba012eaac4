"""``chainrule.nn.functional`` is ``chainrule.functional``: the name torch code imports
(``import torch.nn.functional as F``) bound to chainrule's one module of stateless ops."""

import sys

from .. import functional

sys.modules[__name__] = functional
