export const StatusBadge = ({ status }: { status: string }) => (
  <span class={`badge ${status}`} data-testid="status">
    {status}
  </span>
)
