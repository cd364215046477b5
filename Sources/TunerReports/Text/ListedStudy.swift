/// A study found in a folder or a store, as `tuner list --json` prints it and the dashboard's
/// API lists it: its key and folder, and its overview or why it cannot be read.
///
/// ```swift
/// let listed = ListedStudy(key: "guide", folder: ".tuner/guide", .success(overview))
/// ```
public struct ListedStudy: Encodable, Sendable, Equatable {
    /// The key that names the study (its folder's name, made safe; a store's study name).
    public var key: String
    /// The study's folder, relative to the folder listed (`.` for a store).
    public var folder: String
    /// The study's overview; `nil` when it cannot be read.
    public var overview: StudyOverview?
    /// Why the study cannot be read; `nil` when it can.
    public var error: String?

    /// A study listed with its overview, or with the error that reading it threw.
    public init(key: String, folder: String, _ overview: Result<StudyOverview, any Error>) {
        self.key = key
        self.folder = folder
        switch overview {
        case .success(let value): self.overview = value
        case .failure(let failure): error = "\(failure)"
        }
    }
}
