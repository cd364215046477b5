@_exported import TunerRandom
