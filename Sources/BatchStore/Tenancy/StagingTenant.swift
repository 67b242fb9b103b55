/// The tenant no key belongs to, under which large creates are written in
/// chunks before their last transaction hands the batch to its real tenant:
/// nothing any tenant reads can see a half-written batch. It exists from
/// migration 8 on and is left out of every listing and lookup.
public enum StagingTenant {
    public static let id = "ten-staging0000000000"
}
