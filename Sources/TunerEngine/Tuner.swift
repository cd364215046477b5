import TunerCore
