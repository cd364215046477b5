/// A layer of a ``Sequential`` model: ``Dense`` or ``Dropout``.
public protocol Layer: Sendable {}

/// A fully connected layer, as Keras' `Dense`: Glorot-uniform weights, zero biases, and a
/// linear activation unless one is given.
///
/// ```swift
/// Dense(30, inputSize: 20)               // Keras: Dense(30, input_shape=(20,))
/// Dense(20, activation: .relu)
/// ```
public struct Dense: Layer, Equatable {
    /// The number of outputs.
    public var units: Int
    /// The activation applied to the outputs.
    public var activation: Activation
    /// The number of inputs, for the first layer; later layers take the previous one's units.
    public var inputSize: Int?
    /// Whether the layer adds a bias.
    public var useBias: Bool

    /// Makes a dense layer.
    public init(_ units: Int, activation: Activation = .linear, inputSize: Int? = nil, useBias: Bool = true) {
        self.units = units
        self.activation = activation
        self.inputSize = inputSize
        self.useBias = useBias
    }
}

/// Sets a fraction of its inputs to zero during training and scales the rest by
/// 1 / (1 - rate), as Keras' `Dropout`; it does nothing at inference.
///
/// ```swift
/// Sequential([Dense(64, activation: .relu, inputSize: 10), Dropout(0.2), Dense(1)])
/// ```
public struct Dropout: Layer, Equatable {
    /// The fraction of inputs dropped, in [0, 1).
    public var rate: Double

    /// Makes a dropout layer.
    public init(_ rate: Double) { self.rate = rate }
}
