import SwiftTuner
