/// The dashboard's addresses, in one place: the pages link to what the router serves.
enum DashboardRoutes {
    static let home = "/"
    static let stylesheet = "/assets/report.css"
    static let script = "/assets/dashboard.js"
    static let openAPI = "/api/openapi.json"
    static let catalogEvents = "/events"
    static let compare = "/compare"

    static func study(_ key: String) -> String { "/studies/\(key)" }
    static func events(_ key: String) -> String { "/studies/\(key)/events" }
    static func trialPrefix(_ key: String) -> String { "/studies/\(key)/trials/" }
}
