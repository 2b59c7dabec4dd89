import type { Metadata } from "next";
import { Suspense } from "react";
import { Audit } from "@/components/audit/Audit";

export const metadata: Metadata = { title: "Audit" };

export default function Page() {
  // Audit reads ?version= with useSearchParams, which needs a Suspense boundary.
  return (
    <Suspense fallback={null}>
      <Audit />
    </Suspense>
  );
}
