-- verify:empty-tables: certificates is created by 20250112090000_add_certificates, deployed in the same release
-- AddForeignKey
-- lint:allow validating-constraint: certificates is created by 20250112090000_add_certificates in the same release and holds no rows yet
ALTER TABLE "certificates" ADD CONSTRAINT "certificates_studentId_fkey" FOREIGN KEY ("studentId") REFERENCES "students"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
-- lint:allow validating-constraint: as above, the table is still empty
ALTER TABLE "certificates" ADD CONSTRAINT "certificates_courseId_fkey" FOREIGN KEY ("courseId") REFERENCES "courses"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
