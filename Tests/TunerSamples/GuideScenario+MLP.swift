import TunerCore
import TunerTestSupport
import TunerTrainer

extension GuideScenario {
    /// The guide's `build_model` on the built-in trainer: `Dense(units_1, input 20)`,
    /// `Dense(units_2)`, `Dense(1)`, compiled with Adam and mean squared error.
    public func buildMLP(_ hp: HyperParameters) throws -> Sequential {
        let units1 = try hp.int("units_1", min: 10, max: 40, step: 10)
        let units2 = try hp.int("units_2", min: 10, max: 30, step: 10)
        let model = try Sequential([Dense(units1, inputSize: 20), Dense(units2), Dense(1)])
        model.compile(optimizer: .adam(), loss: .meanSquaredError)
        try refuseIfTooLarge(model.parameterCount)
        return model
    }

    /// The guide's data as matrices: 100 rows of uniform random numbers, like `np.random.rand`.
    public static func matrices(seed: UInt64 = 0) -> (x: Matrix, y: Matrix, validation: (Matrix, Matrix)) {
        (
            Matrix.random(rows: 100, columns: 20, seed: seed), Matrix.random(rows: 100, columns: 1, seed: seed + 1),
            (
                Matrix.random(rows: 100, columns: 20, seed: seed + 2),
                Matrix.random(rows: 100, columns: 1, seed: seed + 3)
            )
        )
    }
}
