"""The errors a user can fix, as one family: ``except ChainruleError`` reports any of them.

Each is raised with one sentence naming what was wrong (the file, the option, the device) and,
where there is something to do, what to do, so a program — the command line among them — can
print the message alone, without a traceback. Each also keeps the built-in base it would have
without this family (``ValueError``, ``FileNotFoundError``, ``OSError``, ``RuntimeError``), so
code that catches those keeps working.

This module sits above every other: it imports nothing from chainrule, and the modules that
raise these errors (``backend``, ``serialization``, ``data``) import them from here.
"""


class ChainruleError(Exception):
    """Base of the errors a user can fix: a wrong or damaged file, a missing data set, a device
    this machine does not have."""


class AnomalyError(ChainruleError, RuntimeError):
    """Under ``detect_anomaly()``, an op produced NaN or infinite values (forward or backward);
    a RuntimeError, as torch's anomaly report is."""


class DeviceError(ChainruleError, RuntimeError):
    """A device was asked for that this machine cannot give, or devices were mixed."""


class SerializationError(ChainruleError, ValueError):
    """A file is not what it should be: corrupt, truncated, or not in the expected format."""


class IDXFormatError(ChainruleError, ValueError):
    """A file is not a well-formed IDX file (bad magic number, unknown type, wrong length, or a
    damaged gzip stream around it)."""


class DatasetNotFoundError(ChainruleError, FileNotFoundError):
    """A data set's file is in none of the places it was looked for."""


class ChecksumError(ChainruleError, ValueError):
    """A file's content does not have the checksum its data set declares."""


class DownloadError(ChainruleError, OSError):
    """No mirror could deliver a good copy of a file."""
