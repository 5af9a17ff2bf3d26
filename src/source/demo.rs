//! The demo meshes, embedded so that `meshtcp` with no SOURCE shows something real.

/// (path shown in locations, contents), in load order.
pub const FILES: &[(&str, &str)] = &[
    (
        "assets/demo/universal/mesh.yaml",
        include_str!("../../assets/demo/universal/mesh.yaml"),
    ),
    (
        "assets/demo/universal/dataplanes.yaml",
        include_str!("../../assets/demo/universal/dataplanes.yaml"),
    ),
    (
        "assets/demo/universal/gateway.yaml",
        include_str!("../../assets/demo/universal/gateway.yaml"),
    ),
    (
        "assets/demo/universal/routes.yaml",
        include_str!("../../assets/demo/universal/routes.yaml"),
    ),
    (
        "assets/demo/universal/legacy.yaml",
        include_str!("../../assets/demo/universal/legacy.yaml"),
    ),
    (
        "assets/demo/kubernetes/shop.yaml",
        include_str!("../../assets/demo/kubernetes/shop.yaml"),
    ),
    // A GitOps repository: plain Kubernetes manifests, from which the proxies and
    // MeshServices are derived.
    (
        "assets/demo/gitops/counter.yaml",
        include_str!("../../assets/demo/gitops/counter.yaml"),
    ),
    (
        "assets/demo/gitops/routes.yaml",
        include_str!("../../assets/demo/gitops/routes.yaml"),
    ),
];
