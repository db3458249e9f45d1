import { Component, type ReactNode } from 'react';
import { ErrorBanner } from './error-banner';

/** A page that throws while rendering shows its error instead of blanking the whole console. */
export class ErrorBoundary extends Component<{ children: ReactNode }, { error: unknown }> {
  override state: { error: unknown } = { error: null };

  static getDerivedStateFromError(error: unknown) {
    return { error };
  }

  override render() {
    if (this.state.error) return <ErrorBanner error={this.state.error} title="This page failed" />;
    return this.props.children;
  }
}
