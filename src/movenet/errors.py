"""Exceptions with messages meant for users: each names the file or value and the problem."""


class MovenetError(Exception):
    """Base class of every error this package raises on purpose."""


class ImageError(MovenetError, ValueError):
    """An input image could not be read or has an unsupported shape, dtype or size."""


class ModelFileError(MovenetError):
    """Model files are missing, truncated, tampered with, or could not be fetched or converted."""


class ConversionError(ModelFileError):
    """The TF.js graph uses something the converter does not translate."""
