import { PageTitle } from '../../ui/parts';

// PLACEHOLDER (issue 12 scaffold): replaced by the page's real implementation before merge.
export default function Placeholder() {
  return <PageTitle>admin/policy</PageTitle>;
}
