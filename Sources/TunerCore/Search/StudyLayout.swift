import Foundation

/// Where a study keeps its files: `<study>/journal.sqlite` and one folder a trial,
/// `<study>/trials/trial_0007`, for its outputs and checkpoints.
///
/// ```swift
/// StudyLayout.trialDirectory(study: ".tuner/s", trialID: "0007")   // ".tuner/s/trials/trial_0007"
/// ```
public enum StudyLayout {
    /// The folder that holds every trial's folder.
    public static func trialsDirectory(study: String) -> String {
        (study as NSString).appendingPathComponent("trials")
    }

    /// One trial's folder.
    public static func trialDirectory(study: String, trialID: String) -> String {
        (trialsDirectory(study: study) as NSString).appendingPathComponent("trial_\(trialID)")
    }

    /// The study folder of a trial's folder.
    public static func study(ofTrialDirectory directory: String) -> String {
        ((directory as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
    }
}
