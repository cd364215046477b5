@_exported import TunerCore
@_exported import TunerEngine
@_exported import TunerJournal
@_exported import TunerTrainer
@_exported import TunerReports
