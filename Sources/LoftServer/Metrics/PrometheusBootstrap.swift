import Metrics
import Prometheus

/// The process's Prometheus registry. swift-metrics is bootstrapped onto it the first time it is used:
/// `MetricsSystem` takes one bootstrap per process, so every server in a process shares it. Until then
/// (and for good when `[metrics]` is absent) every counter is swift-metrics' no-op.
enum PrometheusBootstrap {
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()
}
