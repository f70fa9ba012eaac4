"""The applications: one trainer per job, each writing a run folder, built on ``models`` and
``train``; what the ``chainrule`` command's sub-commands call.

``classify`` (images: ``chainrule train mlp``/``lenet5``), ``char_lm`` (character language
models: ``chainrule train char-lm``, ``chainrule sample``), ``seq2seq`` (translation:
``chainrule train seq2seq``, ``chainrule translate``), ``runs`` (a classifier's run folder read
back: ``chainrule eval``, ``chainrule viz``), and ``common`` (what they share).
"""
