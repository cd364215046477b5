extension Matrix {
    /// The matrix product `self · other`.
    ///
    /// ```swift
    /// let y = try x.matmul(w)      // (batch × in) · (in × out)
    /// ```
    /// - Throws: ``TrainerError/shape(_:)`` when the inner sizes differ.
    public func matmul(_ other: Matrix) throws -> Matrix {
        guard columns == other.rows else {
            throw TrainerError.shape("cannot multiply \(rows)×\(columns) by \(other.rows)×\(other.columns)")
        }
        var result = Matrix(rows: rows, columns: other.columns)
        withUnsafePointer { a in
            other.withUnsafePointer { b in
                result.withUnsafeMutablePointer { c in
                    Kernels.gemm(
                        m: rows, n: other.columns, k: columns, a, lda: columns, b, ldb: other.columns, c,
                        ldc: other.columns)
                }
            }
        }
        return result
    }
}
