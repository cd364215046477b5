import TunerCore

extension SearchSpace {
    /// A configuration as a point of [0, 1]ⁿ, each hyperparameter in its sampling's scale;
    /// inactive ones at 0.5.
    func unitPoint(_ values: [String: HyperParameterValue]) -> [Double] {
        definitions.map { definition in
            guard let value = values[definition.name] else { return 0.5 }
            switch definition.kind {
            case let .int(min, max, _, sampling):
                guard max > min, let v = value.doubleValue else { return 0.5 }
                return HyperParameterDefinition.valueToProbability(
                    v, min: Double(min), max: Double(max), sampling: sampling)
            case let .float(min, max, _, sampling):
                guard max > min, let v = value.doubleValue else { return 0.5 }
                return HyperParameterDefinition.valueToProbability(v, min: min, max: max, sampling: sampling)
            case .choice, .boolean, .fixed:
                let all = definition.orderedValues
                guard all.count > 1, let index = all.firstIndex(of: value) else { return 0.5 }
                return Double(index) / Double(all.count - 1)
            }
        }
    }
}
