// The umbrella: one import for the whole library.
@_exported import TunerCore
@_exported import TunerEngine
@_exported import TunerJournal
@_exported import TunerKerasImport
@_exported import TunerPostgres
@_exported import TunerRandom
@_exported import TunerReports
@_exported import TunerStore
@_exported import TunerStudy
@_exported import TunerTrainer
@_exported import TunerTrainerCompat
